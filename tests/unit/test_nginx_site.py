"""The playbook's Nginx site (ansible/roles/nginx/templates/site.conf.j2), rendered with
the role's defaults as Ansible would: /metrics only from the allow-listed addresses,
/health proxied so the web app knows the real client (it shows the details to loopback
clients and administrators only, the status to everyone else)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "ansible" / "roles" / "nginx"


def ansible_bool(value: object) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def render(**overrides: Any) -> str:
    """The site as the role writes it: its defaults (themselves templates) and overrides."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["bool"] = ansible_bool
    variables: dict[str, Any] = {"inventory_hostname": "dgp.example.org"}
    for name, value in yaml.safe_load((ROLE / "defaults" / "main.yml").read_text()).items():
        if isinstance(value, str):
            value = env.from_string(value).render(variables)
        variables[name] = value
    variables.update(ansible_managed="managed by Ansible", **overrides)
    return env.from_string((ROLE / "templates" / "site.conf.j2").read_text()).render(variables)


def block(site: str, opening: str) -> str:
    """The body of the block that `opening` starts (nested braces counted)."""
    start = site.index(opening + " {") + len(opening) + 2
    depth, at = 1, start
    while depth:
        depth += {"{": 1, "}": -1}.get(site[at], 0)
        at += 1
    return site[start : at - 1]


def directives(body: str) -> list[str]:
    """The block's directives, comments dropped, whitespace normalised."""
    text = re.sub(r"#[^\n]*", "", body)
    return [" ".join(d.split()) for d in re.split(r"[;{}]", text) if d.strip()]


def tls_server(site: str) -> str:
    """The HTTPS server block and what follows it."""
    return site[site.index("listen 443") :]


def test_the_site_renders_with_balanced_braces() -> None:
    site = render()
    assert site.count("{") == site.count("}")
    assert "{{" not in site and "{%" not in site


@pytest.mark.parametrize("allowed", [["127.0.0.1", "::1"], ["10.1.2.0/24"]])
def test_metrics_answer_the_allow_listed_addresses_only(allowed: list[str]) -> None:
    metrics = directives(block(render(nginx_metrics_allow=allowed), "location = /metrics"))
    assert metrics == [
        *(f"allow {a}" for a in allowed),
        "deny all",
        "proxy_pass http://dataguardian_web",
    ]


def test_health_is_proxied_with_the_real_client_address_and_get_only() -> None:
    site = render()
    server = tls_server(site)
    assert "proxy_set_header X-Real-IP $remote_addr" in directives(server)
    health = block(site, "location = /health")
    said = directives(health)
    # a proxy_set_header here would replace the server's, X-Real-IP included: the app
    # would then take Nginx (loopback) for the client and show everyone the details
    assert not any(d.startswith("proxy_set_header") for d in said), said
    assert "limit_except GET" in said and "deny all" in said
    assert "proxy_pass http://dataguardian_web" in said
    assert not any(d.startswith("allow") for d in said)  # public: the app limits the details
    assert "proxy_no_cache 1" in said


def test_sign_ins_are_limited_per_client_address_at_the_edge() -> None:
    site = render(nginx_sign_in_rate="2r/s", nginx_sign_in_burst=7)
    key = directives(block(site, "map $request_method $dataguardian_sign_in_client"))
    assert key == ["POST $binary_remote_addr", 'default ""']  # only sign-ins are counted
    assert (
        "limit_req_zone $dataguardian_sign_in_client zone=dataguardian_sign_in:10m rate=2r/s"
        in directives(site)
    )
    session = directives(block(tls_server(site), "location = /api/v1/session"))
    assert session == [
        "limit_req zone=dataguardian_sign_in burst=7 nodelay",
        "limit_req_status 429",
        "proxy_pass http://dataguardian_web",
    ]
