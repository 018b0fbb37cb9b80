"""Dagster check of the validation stage: the published package matches its JSON Schema."""

from dagster import AssetCheckResult, asset_check

from assets.common.settings import EVIDENCE_PACKAGE_FILE, lab_paths


@asset_check(asset="evidence_package", blocking=True,
             description="The published package validates against its JSON Schema.")
def evidence_package_schema() -> AssetCheckResult:
    from assets.validation.package.schema import validate_package_file

    path = lab_paths().evidence / EVIDENCE_PACKAGE_FILE
    try:
        validate_package_file(path)
    except Exception as exc:
        return AssetCheckResult(passed=False,
                                metadata={"file": str(path), "error": str(exc)[:2000]})
    return AssetCheckResult(passed=True, metadata={"file": str(path)})
