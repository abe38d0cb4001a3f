"""Steps: the thin shells that run a pure stage against the ledger (and the network or the index).

The command line and the Prefect flow both call these, so the stage order lives in one place per
stage and a step run twice with nothing new changes nothing.
"""
