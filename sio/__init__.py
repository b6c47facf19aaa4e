"""SIO2's batch-job layer: jobs, executors and the native supervision core."""
