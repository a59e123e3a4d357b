"""The package version, in a leaf module: the SFMC client's User-Agent and the OpenAPI document read it without
importing the package root (and so the public API's imports)."""

__version__ = "0.1.0"
