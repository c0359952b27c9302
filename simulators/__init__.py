"""Local stand-ins for the five upstream engines (stdlib only). See simulators/README.md."""

from .server import SimulatorHandle, start

__all__ = ["SimulatorHandle", "start"]
