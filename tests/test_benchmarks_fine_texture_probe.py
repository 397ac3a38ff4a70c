"""benchmarks/fine_texture_probe.py: v3's probe runs, and at v3's strength its texture statistic
tells a fine fibrotic net from the soft-tissue haze while its density statistic cannot (the haze is
the net's local mean)."""

from repo_scripts import load_script

probe = load_script("benchmarks/fine_texture_probe.py")


def test_texture_tells_the_net_from_the_haze_and_density_does_not():
    result = probe.probe(0.25, films=12, size=256)
    assert set(result) == set(probe.SCALES)
    texture, density = result[1.0]
    assert texture > 0.7
    assert abs(density - 0.5) < 0.25
