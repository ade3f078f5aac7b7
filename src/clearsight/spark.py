"""Apache Spark for scale beyond one machine: one session, configured the way the pipeline's SQL needs it.

Why these settings: Splink's string-similarity functions come from the jar it ships, which must be on the
classpath before the session starts; ANSI mode is off so that Spark's arithmetic matches DuckDB's (a
division by zero is NULL, not an error), because both engines run the same SQL; the session time zone is
UTC so that dates do not move. Local mode (``local[N]``) is the default and what the tests use; a cluster is
chosen with ``CLEARSIGHT_SPARK_MASTER`` (``spark://host:7077``, ``yarn``, ``k8s://...``), see docs/scale.md.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from typing import Any

from clearsight.errors import ClearsightError

MASTER_ENV = "CLEARSIGHT_SPARK_MASTER"
MEMORY_ENV = "CLEARSIGHT_SPARK_DRIVER_MEMORY"
PARTITIONS_ENV = "CLEARSIGHT_SPARK_SHUFFLE_PARTITIONS"


def available() -> bool:
    """Whether PySpark is installed (``pip install 'clearsight[spark]'``) and Java can be found."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return bool(os.environ.get("JAVA_HOME")) or any(
        os.access(os.path.join(folder, "java"), os.X_OK) for folder in os.environ.get("PATH", "").split(os.pathsep))


def session(master: str | None = None, app_name: str = "clearsight") -> Any:
    """The Spark session the pipeline runs on (created once per process, then reused)."""
    try:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location
    except ImportError as error:
        raise ClearsightError("the Spark engine needs PySpark: pip install 'clearsight[spark]' (and Java 17)"
                              ) from error
    if not available():
        raise ClearsightError("the Spark engine needs Java (17 or newer) on the PATH or JAVA_HOME set")
    builder = (
        SparkSession.builder.appName(app_name)
        .master(master or os.environ.get(MASTER_ENV, "local[2]"))
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", os.environ.get(PARTITIONS_ENV, "8"))
        .config("spark.default.parallelism", os.environ.get(PARTITIONS_ENV, "8"))
        .config("spark.driver.memory", os.environ.get(MEMORY_ENV, "2g"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")  # the CLI draws its own progress
        # Splink's comparison SQL is one wide CASE per field; whole-stage code generation for it exceeds the
        # JVM's 64 KB method limit, logs an error and falls back anyway: skip straight to the fallback
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.cleaner.referenceTracking.cleanCheckpoints", "true")
    )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    if not spark.sparkContext.getCheckpointDir():
        spark.sparkContext.setCheckpointDir(checkpoint_folder())
    return spark


def checkpoint_folder() -> str:
    """A private (0700) folder for Spark's checkpoints, removed when this process exits.

    Checkpoints can hold linkage features (decrypted identifiers), so they must not outlive the run.
    """
    folder = tempfile.mkdtemp(prefix="clearsight-spark-checkpoints-")
    atexit.register(shutil.rmtree, folder, True)
    return folder
