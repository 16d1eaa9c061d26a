"""Developer tools, never in a Lambda package: the CLI, the sample generator and the local AWS."""
