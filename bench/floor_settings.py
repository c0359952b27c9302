"""Settings for the benchmarks' gunicorn: the product's settings plus the floor views' URLs."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "floor_urls"
