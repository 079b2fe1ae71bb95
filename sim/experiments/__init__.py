"""What runs the engine: one run to a directory, replications, paired comparisons, sweeps
and their designs, branches of a recorded run, statistics over runs, and executors (local
processes or Dask).

Import the modules themselves (``from sim.experiments.run import run_to_directory``): this
package imports nothing eagerly, so `intelsim run` does not pay for what it does not use.
"""
