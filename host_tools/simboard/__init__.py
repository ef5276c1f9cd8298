"""Simulated ESP32 board for microwand (see README.md)."""
