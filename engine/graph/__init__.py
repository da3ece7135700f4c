"""The strategy language: JSON node graphs, validated, compiled, evaluated two ways.

>>> from engine.graph import compile_graph, example_documents
>>> g = compile_graph(example_documents()["sma_cross"])   # then g.evaluate(bars)
"""

from engine.graph.capabilities import unexecutable_actions
from engine.graph.compile import CompiledGraph, compile_graph, set_param
from engine.graph.errors import ErrorDict, GraphValidationError
from engine.graph.examples import example_documents
from engine.graph.resample import resample
from engine.graph.schema import KINDS, SCHEMA_VERSION, node_kinds
from engine.graph.stream import BarSignal, StreamEvaluator
from engine.graph.validate import graph_warnings, validate

__all__ = [
    "KINDS",
    "SCHEMA_VERSION",
    "BarSignal",
    "CompiledGraph",
    "ErrorDict",
    "GraphValidationError",
    "StreamEvaluator",
    "compile_graph",
    "example_documents",
    "graph_warnings",
    "node_kinds",
    "resample",
    "set_param",
    "unexecutable_actions",
    "validate",
]
