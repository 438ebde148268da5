"""K-means as an energy-based model: E(y, z) = ||y - W z||^2 with a one-hot z."""

__all__ = ["KMeansEBM"]


class KMeansEBM:
    """E(y, z) = ||y - W z||^2, prototypes as the columns of W."""

    def __init__(self, k):
        raise NotImplementedError("KMeansEBM is being written")
