"""The embedded AWS emulator (moto), as the local stack runs it: `needs` (what it needs to run the template
at all, with `cognito`) and `speedups` (what only makes it faster, on unless `KANAL_EMULATOR_SPEEDUPS=off`).
"""
