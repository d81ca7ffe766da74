"""What the subcommands share: the exit codes and the words of shared options."""

EXIT_OK, EXIT_PROBLEMS, EXIT_BAD_INPUT = 0, 1, 2
LEDGER_HELP = "the ledger: a SQLite file (created if missing) or a postgresql:// URL"
