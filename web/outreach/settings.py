"""The outreach settings the web app and the workers take from configuration."""

from flask import current_app

from workflows.outreach import execution, links


def link_settings() -> links.LinkSettings:
    return links.LinkSettings(current_app.config["SECRET_KEY"], current_app.config["BASE_URL"])


def execution_settings() -> execution.Settings:
    return execution.Settings(
        links=link_settings(), reply_to=current_app.config["INBOUND_ADDRESS"] or None
    )
