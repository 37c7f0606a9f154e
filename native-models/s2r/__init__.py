"""Sim2Real Studio training pipeline: sim-to-real adaptation for road-scene segmentation."""
__version__ = "0.1.0"
