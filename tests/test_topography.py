import pytest
import torch

import ebm_course as ec
from ebm_course import topography


def _rbf(centers, W0=None, width=0.3):
    return ec.models.RBFEnergy(torch.as_tensor(centers, dtype=torch.float64), width=width, W0=W0)


def test_push_down_lowers_the_data_and_leaves_a_far_well_where_it_was():
    far = torch.tensor([[3.0, 3.0]], dtype=torch.float64)
    model = _rbf([[0.0, 0.0], [3.0, 3.0]], W0=torch.tensor([0.5, -1.0], dtype=torch.float64))
    y = torch.zeros(10, 2, dtype=torch.float64)
    with torch.no_grad():
        before_far = model(far).item()
    history = topography.push_down(model, y, steps=5, lr=0.5, progress=False)
    with torch.no_grad():
        after_data, after_far = model(y).mean().item(), model(far).item()
    assert len(history) == 5 and all(b < a for a, b in zip(history, history[1:]))
    assert after_data < history[0] - 2.0
    assert abs(after_far - before_far) < 1e-6  # nothing pushed the far well up (or down)


def test_wells_finds_every_strict_local_minimum_of_a_grid():
    side = torch.linspace(-2, 2, 41, dtype=torch.float64)
    a, b = torch.meshgrid(side, side, indexing="xy")
    E = -torch.exp(-((a - 1) ** 2 + (b - 1) ** 2) / 0.1) - 2 * torch.exp(-((a + 1) ** 2 + b**2) / 0.1)
    points = torch.stack([a.reshape(-1), b.reshape(-1)], dim=1)
    found = points[topography.wells(E)]
    assert torch.allclose(found.sort(dim=0).values, torch.tensor([[-1.0, 0.0], [1.0, 1.0]], dtype=torch.float64))


def test_farthest_well_is_the_well_with_the_largest_distance_to_the_data():
    side = torch.linspace(-2, 2, 41, dtype=torch.float64)
    a, b = torch.meshgrid(side, side, indexing="xy")
    E = -torch.exp(-((a - 1) ** 2 + (b - 1) ** 2) / 0.1) - 2 * torch.exp(-((a + 1) ** 2 + b**2) / 0.1)
    points = torch.stack([a.reshape(-1), b.reshape(-1)], dim=1)
    y = torch.tensor([[-1.0, 0.1], [-0.9, 0.0]], dtype=torch.float64)
    i, dist = topography.farthest_well(E, points, y)
    assert torch.allclose(points[i], torch.tensor([1.0, 1.0], dtype=torch.float64))
    assert dist == pytest.approx(((1.9**2 + 1.0**2) ** 0.5), abs=1e-9)


def test_bad_input_names_the_argument():
    model = _rbf([[0.0, 0.0]])
    y = torch.zeros(3, 2, dtype=torch.float64)
    with pytest.raises(TypeError, match="energy"):
        topography.push_down(lambda p: p.sum(1), y)
    with pytest.raises(ValueError, match="steps"):
        topography.push_down(model, y, steps=0)
    with pytest.raises(TypeError, match="lr"):
        topography.push_down(model, y, lr="0.1")
    with pytest.raises(ValueError, match="y"):
        topography.push_down(model, torch.tensor([[float("nan"), 0.0]]))
    with pytest.raises(ValueError, match="E_map"):
        topography.wells(torch.zeros(2, 5))
    flat = torch.zeros(5, 5, dtype=torch.float64)
    points = torch.zeros(25, 2, dtype=torch.float64)
    with pytest.raises(ValueError, match="no well"):
        topography.farthest_well(flat, points, y)
    with pytest.raises(ValueError, match="points"):
        topography.farthest_well(flat, points[:10], y)
    with pytest.raises(ValueError, match="y"):
        topography.farthest_well(flat, points, torch.zeros(3, 3, dtype=torch.float64))
