"""What the snapshot and policy `list` commands share."""

from osc_lib import utils


def add_options(parser, what):
    """--app-group, --all-projects and --long, for a list of ``what``."""
    parser.add_argument('--app-group', metavar='<app-group>',
                        help='Only the %s of this app group (name or ID)'
                             % what)
    parser.add_argument('--all-projects', action='store_true',
                        help='The %s of every project (admin only)' % what)
    parser.add_argument('--long', action='store_true',
                        help='List additional fields in output')


def rows(list_items, parsed_args, columns, long_columns):
    """(headings, rows) of list_items(**query) for the parsed options."""
    listed = columns
    query = {}
    if parsed_args.app_group:
        query['app_group'] = parsed_args.app_group
    if parsed_args.all_projects:
        query['all_projects'] = True
        listed += (('Project ID', 'project_id'),)
    if parsed_args.long:
        listed += long_columns
    headings = tuple(heading for heading, _ in listed)
    attributes = tuple(attribute for _, attribute in listed)
    # A list, not a generator: errors must surface inside take_action.
    return headings, [utils.get_item_properties(item, attributes)
                      for item in list_items(**query)]
