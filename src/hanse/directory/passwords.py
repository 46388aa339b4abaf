"""argon2id with OWASP's recommended minimum: 19 MiB memory, 2 iterations, 1 lane."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2PasswordHasher(Argon2PasswordHasher):
    algorithm = "argon2"
    time_cost = 2
    memory_cost = 19456
    parallelism = 1
