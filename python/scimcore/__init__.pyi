# The public names of scimcore, one line each: ``from .module import Name as Name``.
#
# Type checkers read this file; at run time ``__init__.py`` reads the same lines and imports each name from its
# module on first use, so that ``import scimcore`` stays cheap. To add a public name, add its line here, in its
# group (tests/test_exports.py checks that every line resolves and that nothing else is in the file).

# filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2)
from .filter.ast import filter_to_json as filter_to_json
from .filter.bind import bind as bind
from .filter.compile import compile_filter as compile_filter
from .filter.limits import FilterLimits as FilterLimits
from .filter.parse import BACKEND as BACKEND
from .filter.parse import parse_filter as parse_filter
from .filter.parse import parse_path as parse_path

# PATCH and policies
from .patch import PatchResult as PatchResult
from .patch import apply_patch as apply_patch
from .policy import Policy as Policy

# schemas, resources, messages (RFC 7643)
from .schema.codec import decode as decode
from .schema.codec import encode as encode
from .schema.codec import normalize as normalize
from .schema.default import registry as registry
from .schema.messages import BulkRequest as BulkRequest
from .schema.messages import BulkResponse as BulkResponse
from .schema.messages import Error as Error
from .schema.messages import ListResponse as ListResponse
from .schema.messages import PatchOp as PatchOp
from .schema.messages import SearchRequest as SearchRequest
from .schema.registry import SchemaRegistry as SchemaRegistry
from .schema.resources import EnterpriseUser as EnterpriseUser
from .schema.resources import Group as Group
from .schema.resources import ResourceType as ResourceType
from .schema.resources import Schema as Schema
from .schema.resources import ServiceProviderConfig as ServiceProviderConfig
from .schema.resources import User as User

# queries and stores
from .directory import Directory as Directory
from .query import project as project
from .query import search as search
from .sql import SqlDirectory as SqlDirectory
from .sql import to_sql as to_sql
from .store import Store as Store

# the protocol layer (RFC 7644 §3-§4)
from .service import Service as Service
from .service import asgi_app as asgi_app
from .service import bearer_token as bearer_token
from .service import wsgi_app as wsgi_app

# errors (RFC 7644 §3.12)
from .errors import InvalidFilter as InvalidFilter
from .errors import InvalidPath as InvalidPath
from .errors import InvalidSyntax as InvalidSyntax
from .errors import InvalidValue as InvalidValue
from .errors import InvalidVersion as InvalidVersion
from .errors import Mutability as Mutability
from .errors import NotFound as NotFound
from .errors import NoTarget as NoTarget
from .errors import ScimError as ScimError
from .errors import TooMany as TooMany
from .errors import Uniqueness as Uniqueness

__version__: str
