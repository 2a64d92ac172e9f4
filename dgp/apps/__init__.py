"""The processes' Falcon apps (web, scanners): thin HTTP layers over dgp.plumbing."""
