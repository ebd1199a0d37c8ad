"""The database backend the settings name when DATABASE_URL is unset and no embedded server runs."""
