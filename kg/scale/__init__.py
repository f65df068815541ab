"""Running a build on a distributed engine: ``kg.scale.dask`` (``kg build --engine dask``)."""
