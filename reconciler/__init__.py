"""infomaniak-gitops: a GitOps desired-state reconciler for an Infomaniak account."""

__version__ = "0.1.0"
