// {% raw %}{{ not a placeholder }}{% endraw %} for {{ project-name }}
int handle(void) { return 0; }
