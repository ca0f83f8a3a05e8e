"""The OpenAPI shape of a FHIR resource: a JSON object with a ``resourceType``.

The resources themselves are HL7 FHIR R4 (``Task``, ``ServiceRequest``), built in
referral/api/fhir_mapping.py and checked against the FHIR models in the tests; the document
describes them generically rather than copying FHIR's schema.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FhirResource(BaseModel):
    """An HL7 FHIR R4 resource (``application/fhir+json``)."""

    model_config = ConfigDict(extra="allow")

    resourceType: str = Field(description="Task or ServiceRequest.")  # noqa: N815 (FHIR's name)
    id: str
