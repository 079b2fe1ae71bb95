"""Generators of the user documentation in `docs/`, from the code it documents.

`python -m sim.docs.scenario_language` prints docs/scenario-language.md;
`python -m sim.docs.event_log --write docs/event-log.md` refreshes the event reference.
"""
