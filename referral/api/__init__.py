"""The JSON API (/api/v1): a second door to the same house.

Token-authenticated calls run as an actor built from the token (its agency and role), through
the same permission table, the same scoping rule, the same service functions and the same audit
as the pages. Request and response bodies are typed models (pydantic), from which the OpenAPI 3.1
document is generated (``spec.py``).
"""
