"""The TOML config: a valid file loads; a bad one names the file, the key and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from hanse.instance.config import ConfigError, TrusteePolicy, load_config
from hanse.instance.markets import EFTA, EU27, parse_markets

GOOD = """
[instance]
id = "de"
name = "Sovereign Cloud Germany"
kind = "sovereign"
data_boundary = ["DE"]
accepts_new_customers = false
accepts_new_services = false
trustee_required = true
markets = "EU+EFTA"

[[regions]]
id = "de-central"
name = "Frankfurt"
country = "DE"
european = true

[database]
url = "sqlite:///data/de.sqlite3"

[task_routing]
partner_users = "admincenter"
customer_users = "admincenter"
password_reset = "admincenter"
licences = "admincenter"

[[peers]]
id = "eu"
url = "http://127.0.0.1:8001"
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "instance.toml"
    p.write_text(text)
    return p


def test_design_example_loads(tmp_path):
    cfg = load_config(write(tmp_path, GOOD))
    assert cfg.id == "de" and cfg.is_sovereign and cfg.trustee_required
    assert not cfg.accepts_new_customers and not cfg.accepts_new_services
    assert cfg.regions[0].country == "DE" and cfg.regions[0].european
    assert cfg.database_url == f"sqlite:///{(tmp_path / 'data' / 'de.sqlite3').resolve()}"
    assert cfg.task_place("licences") == "admincenter"
    assert cfg.peers[0].url == "http://127.0.0.1:8001"
    assert len(cfg.markets) == 31


def test_trustee_policy_defaults_and_settings(tmp_path):
    """A trustee instance defaults to the trustee's approval, a public one to the customer's."""
    assert load_config(write(tmp_path, GOOD)).trustee == TrusteePolicy("trustee", 8, 12, (), False)
    public = GOOD.replace('kind = "sovereign"', 'kind = "public"').replace("trustee_required = true", "")
    assert load_config(write(tmp_path, public)).trustee.approval == "customer"
    custom = GOOD.replace(
        "[[peers]]",
        '[trustee]\napproval = "trustee+customer"\nmax_grant_hours = 4\ndecision_hours = 24\n'
        'denied_reasons = ["legal_demand"]\nbreak_glass = true\n\n[[peers]]',
    )
    policy = load_config(write(tmp_path, custom)).trustee
    assert policy == TrusteePolicy("trustee+customer", 4, 24, ("legal_demand",), True)
    assert policy.approvers == ("trustee", "customer")


def test_a_region_states_its_geography(tmp_path):
    text = GOOD.replace('data_boundary = ["DE"]', 'data_boundary = ["DE", "US"]').replace(
        "[database]",
        '[[regions]]\nid = "us-east"\nname = "Virginia"\ncountry = "US"\n'
        'geography = "americas"\n\n[database]',
    )
    regions = {r.id: r for r in load_config(write(tmp_path, text)).regions}
    assert (regions["de-central"].geography, regions["de-central"].european) == ("europe", True)
    assert (regions["us-east"].geography, regions["us-east"].european) == ("americas", False)
    bad = text.replace('geography = "americas"', 'geography = "mars"')
    with pytest.raises(ConfigError, match="must be one of europe"):
        load_config(write(tmp_path, bad))
    contradiction = text.replace('geography = "americas"', 'geography = "americas"\neuropean = true')
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, contradiction))
    assert (e.value.key, e.value.message) == ("regions[1].european", "contradicts geography = 'americas'")


def test_a_peer_client_secret_is_read_from_a_file_or_the_environment_never_the_config(tmp_path, monkeypatch):
    (tmp_path / "eu.secret").write_text("s3cret\n")
    in_file = GOOD.replace(
        'url = "http://127.0.0.1:8001"',
        'url = "http://127.0.0.1:8001"\nclient_id = "hanse-de"\nclient_secret_file = "eu.secret"',
    )
    peer = load_config(write(tmp_path, in_file)).peers[0]
    assert (peer.client_id, peer.client_secret()) == ("hanse-de", "s3cret")
    monkeypatch.setenv("EU_SECRET", "from-env")
    in_env = GOOD.replace(
        'url = "http://127.0.0.1:8001"', 'url = "http://127.0.0.1:8001"\nclient_secret_env = "EU_SECRET"'
    )
    assert load_config(write(tmp_path, in_env)).peers[0].client_secret() == "from-env"
    inline = GOOD.replace(
        'url = "http://127.0.0.1:8001"', 'url = "http://127.0.0.1:8001"\nclient_secret = "oops"'
    )
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, inline))
    assert e.value.key == "peers[0].client_secret" and "never written in the config" in e.value.message


def test_markets_are_eu27_plus_efta():
    assert len(EU27) == 27 and set(EFTA) == {"IS", "LI", "NO", "CH"}
    m = parse_markets("EU+EFTA")
    assert (
        m["CH"][1] == "CHF"
        and m["NO"][1] == "NOK"
        and m["DE"][1] == "EUR"
        and "GB" not in m
        and "US" not in m
    )


def test_trusted_proxies_are_addresses_and_networks(tmp_path):
    from ipaddress import ip_address

    assert load_config(write(tmp_path, GOOD)).trusted_proxies == ()
    text = GOOD.replace(
        "[[peers]]", '[security]\ntrusted_proxies = ["127.0.0.1", "10.0.0.0/8", "fd00::/8"]\n\n[[peers]]'
    )
    proxies = load_config(write(tmp_path, text)).trusted_proxies
    assert [str(p) for p in proxies] == ["127.0.0.1/32", "10.0.0.0/8", "fd00::/8"]
    assert ip_address("10.200.0.1") in proxies[1] and ip_address("11.0.0.1") not in proxies[1]


def test_postgres_url_is_kept(tmp_path):
    cfg = load_config(
        write(tmp_path, GOOD.replace("sqlite:///data/de.sqlite3", "postgresql://u:p@db:5432/hanse"))
    )
    assert cfg.database_url == "postgresql://u:p@db:5432/hanse"


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    [
        ('kind = "sovereign"', 'kind = "private"', "instance.kind", "must be one of sovereign, public"),
        ('id = "de"\nname', 'id = "DE!"\nname', "instance.id", "lower-case"),
        (
            "trustee_required = true",
            'trustee_required = "yes"',
            "instance.trustee_required",
            "must be a bool",
        ),
        ('markets = "EU+EFTA"', 'markets = "EU+US"', "instance.markets", "unknown market 'US'"),
        ('data_boundary = ["DE"]', "data_boundary = []", "instance.data_boundary", "non-empty list"),
        ('licences = "admincenter"', 'licences = "portal"', "task_routing.licences", "must be one of"),
        ('url = "http://127.0.0.1:8001"', 'url = "ftp://x"', "peers[0].url", "http(s) URL"),
        ('url = "sqlite:///data/de.sqlite3"', 'url = "mysql://x/y"', "database.url", "not supported"),
        ('country = "DE"\neuropean', 'country = "FR"\neuropean', "regions", "outside the data boundary"),
        ("[instance]", "[instance]\ncolour = 1", "instance.colour", "not a known setting"),
        ('name = "Frankfurt"\n', "", "regions[0].name", "is required"),
        (
            "[[peers]]",
            '[security]\ntrusted_proxies = ["10.0.0.0/8", "proxy.example"]\n\n[[peers]]',
            "security.trusted_proxies",
            "'proxy.example' is not an IP address or network",
        ),
        ("[[peers]]", '[trustee]\napproval = "nobody"\n\n[[peers]]', "trustee.approval", "must be one of"),
        (
            "[[peers]]",
            '[trustee]\napproval = "customer"\n\n[[peers]]',
            "trustee.approval",
            "trustee's approval",
        ),
        (
            "[[peers]]",
            "[trustee]\nmax_grant_hours = 0\n\n[[peers]]",
            "trustee.max_grant_hours",
            "between 1 and 72",
        ),
        (
            "[[peers]]",
            "[trustee]\ndecision_hours = 97\n\n[[peers]]",
            "trustee.decision_hours",
            "between 1 and 96",
        ),
        (
            "[[peers]]",
            '[trustee]\ndenied_reasons = ["boredom"]\n\n[[peers]]',
            "trustee.denied_reasons",
            "'boredom'",
        ),
        ("[[peers]]", '[trustee]\nbreak_glass = "yes"\n\n[[peers]]', "trustee.break_glass", "must be a bool"),
        ("[[peers]]", "[trustee]\nwho = 1\n\n[[peers]]", "trustee.who", "not a known setting"),
    ],
)
def test_bad_config_names_file_key_and_problem(tmp_path, old, new, key, words):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert e.value.file == str(path)
    assert e.value.key == key
    assert words in e.value.message


def test_not_toml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[instance\nid="))
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")
