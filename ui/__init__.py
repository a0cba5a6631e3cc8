"""The edges: the command line, the web app and the composition root that wires them."""
