"""The Lambda-faithful tier: the synthesised artefact (code asset + the layer built from the lock), each
declared handler in a clean interpreter, invoked with AWS's event shapes against the local engines."""
