"""La qualité documentaire d'une notice / a record's documentary quality (pure: no ledger, no clock)."""
