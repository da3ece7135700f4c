"""Broker adapters: the template (base.py), the registry, the paper broker and Dhan."""
