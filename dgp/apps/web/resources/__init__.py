"""The API's resources, one module per group; shared request helpers live in `common`."""
