"""OSCE SALW/SCA assistance-portfolio tracker."""

__version__ = "0.1.0"
