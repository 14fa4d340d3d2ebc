"""Scale-out under load and faults: PostgreSQL, two web processes, two workers, Redis, a slow Braze (bench/scale)."""
