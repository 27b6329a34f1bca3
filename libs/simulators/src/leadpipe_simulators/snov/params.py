"""Reading Snov.io request inputs from wherever the vendor lets clients put them.

v1 methods take form-encoded bodies; v2 methods take query parameters or JSON. The simulator reads
a parameter from the JSON body first, then the form body, then the query string, and accepts list
parameters both in PHP style (``names[]=a&names[]=b``) and plain (``names=a&names=b``, JSON arrays).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiDict, MultiDictProxy, MultiMapping

from leadpipe_simulators._common.http import ApiError, InvalidJson, is_json, read_json


@dataclass(frozen=True)
class Params:
    """The inputs of one request."""

    query: MultiMapping[str]
    form: MultiMapping[str] | None
    json: dict[str, Any] | None

    def get(self, name: str) -> Any:
        """One value, or None when absent."""
        if self.json is not None and name in self.json:
            return self.json[name]
        if self.form is not None and name in self.form:
            return self.form[name]
        return self.query.get(name)

    def get_list(self, name: str) -> list[Any]:
        """Every value of a list parameter, from the first source that has any."""
        if self.json is not None:
            for key in (name, name + "[]"):
                value = self.json.get(key)
                if isinstance(value, list):
                    return value
                if value is not None:
                    return [value]
        for source in (self.form, self.query):
            if source is not None:
                values = source.getall(name + "[]", []) + source.getall(name, [])
                if values:
                    return list(values)
        return []


_PARAMS_KEY = web.RequestKey("snov_params", Params)


def failure(status: int, *messages: str) -> ApiError:
    """Snov.io's operation-failure envelope: ``{"success": false, "errors": [...]}``."""
    return ApiError(status, {"success": False, "errors": list(messages)})


async def request_params(request: web.Request) -> Params:
    """Parse (once per request) the query, form and JSON inputs."""
    if _PARAMS_KEY in request:
        return request[_PARAMS_KEY]
    form: MultiMapping[str] | None = None
    body: dict[str, Any] | None = None
    if request.can_read_body:
        if is_json(request):
            try:
                decoded = await read_json(request)
            except InvalidJson as error:
                raise failure(400, f"Invalid JSON body: {error}") from error
            if decoded is not None and not isinstance(decoded, dict):
                raise failure(400, "The JSON body must be an object.")
            body = decoded
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            posted = await request.post()
            form = MultiDictProxy(
                MultiDict((k, v) for k, v in posted.items() if isinstance(v, str))
            )
    params = Params(request.query, form, body)
    request[_PARAMS_KEY] = params
    return params
