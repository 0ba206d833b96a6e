"""Hardware: profiles (YAML, every number sourced), the detected `host`, and calibration."""

from costmodel.hw.load import HOST, list_profiles, load_profile, resolve_profile_path
from costmodel.hw.profile import HardwareProfile, numeric_paths

__all__ = [
    "HOST",
    "HardwareProfile",
    "list_profiles",
    "load_profile",
    "numeric_paths",
    "resolve_profile_path",
]
