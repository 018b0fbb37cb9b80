"""Claims: every positive statement as one family under graphical gatekeeping, the verdict
rule and the record of repeated looks."""
