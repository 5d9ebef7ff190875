"""Reminders of reporting obligations by e-mail, and the per-account calendar feeds."""
