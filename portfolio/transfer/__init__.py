"""Data in and out: spreadsheet import and export, and IATI 2.03 publication."""
