import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """One torch thread: the shared 2-core machine is oversubscribed, where OpenMP
    spinning makes 2 threads many times slower than 1 for these small problems."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
