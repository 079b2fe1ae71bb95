"""intelsim: an event-sourced simulation of intelligence sharing on DPRK munitions in Ukraine."""

__version__ = "0.1.0"
__all__ = ["__version__"]
