-- The lake's catalog (HT_LAKE_CATALOG dbname=lake); DuckLake creates its tables on first use.
create database lake owner dagster;
