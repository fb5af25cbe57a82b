"""Running the code location as services: the gRPC code server, the daemon and the webserver, each a process."""
