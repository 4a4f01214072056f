"""The attack campaign of ``bench/bench_attacks.py``, one module per group of issue 9's items:
:mod:`.loss` (1-4), :mod:`.forgery` (5-6), :mod:`.disclosure` (7-9), :mod:`.robustness` (10-11);
:mod:`.common` holds the tally, the registers and the command line."""
