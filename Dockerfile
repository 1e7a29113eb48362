# The hubaction container action. GitHub's rules for Docker actions: no USER (the runner needs
# root to write GITHUB_OUTPUT and the workspace), no WORKDIR (the runner sets the workspace as
# working directory), ENTRYPOINT in exec form with an absolute path.
FROM python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

COPY requirements.txt /app/requirements.txt
RUN pip install --no-cache-dir --require-hashes -r /app/requirements.txt

COPY entrypoint.py /app/entrypoint.py
COPY hubaction /app/hubaction
# Bytecode compiled once at build time: PYTHONDONTWRITEBYTECODE stops writing it at run time,
# so without this every run of the step would compile hubaction from source (~50 ms).
RUN python -m compileall -q --invalidation-mode unchecked-hash /app/hubaction

ENTRYPOINT ["python", "/app/entrypoint.py"]
