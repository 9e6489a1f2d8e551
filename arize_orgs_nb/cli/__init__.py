"""The ``arize-orgs-nb`` command line."""
