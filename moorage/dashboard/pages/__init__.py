"""The dashboard's pages, one module per part (sign-in, clusters, templates, ...)."""
