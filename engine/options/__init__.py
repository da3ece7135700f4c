"""Option contracts, legs and premiums (ARCHITECTURE decision 12). Pure: no Django."""
