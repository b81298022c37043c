// Long help texts of the dot commands (minimega's wording, with the
// compression text corrected: errors are never compressed).

export const COMPRESS_HELP = `Enable or disable output compression of like output from multiple responses.
For example, if you executed a command using mesh, such as:

	mesh send node[0-9] version

You would expect to get the same minimega version for all 10 nodes. Rather than
print out the same version 10 times, minicli with compression enabled would print:

	node[0-9]: minimega <version>

Assuming that all the minimega instances are running the same version. If one node was running
a different version, compression is still useful:

	node[0-4,6-9]: minimega <version>
	node5: minimega <version>

Errors are never compressed. Compression is not applied when the output mode is JSON.`;

export const FILTER_HELP = `Filters tabular data based on the value in a particular column. For example, to
search for vms in a particular state:

	.filter state=running vm info

Filters can also be inverted:

	.filter state!=running vm info

Filters are case insensitive and may be stacked:

	.filter state=RUNNING .filter vcpus=4 vm info

If the column value is a list or an object (i.e. "[...]", "{...}"), then
.filter implicitly uses substring matching.

Substring matching can be specified explicity:

	.filter state~run vm info
	.filter state!~run vm info`;

export const COLUMNS_HELP = `Filter tabular data using particular column names. For example, to display
only the vm name and state:

	.columns name,state vm info

Column names are comma-seperated. .columns can be used in conjunction with
.filter to slice a subset of the rows and columns from a command, however,
these commands are not always interchangeable. For example, the following is
acceptable:

	.columns name,state .filter vcpus=4 vm info

While the following is not:

	.filter vcpus=4 .columns name,state vm info

This is because .columns strips all columns except for name and state from the
tabular data.

Note: the annotate flag controls the presence of the host column.`;

export const ALIAS_HELP = `Create a new alias similar to bash aliases. Aliases can be used as a shortcut
to avoid typing out a long command. Only one alias is applied per command and
only to the beginning of a command. For example:

 .alias vmr=.filter state=running vm info

The alias is interpreted as the text up to the first "=". Runing .alias without
any argument will list the existing aliases.

This alias allows the user to type "vmr" rather than the using a filter to list
the running VMs.

 .unalias removes a previously set alias.

Note: we *strongly* recommend that you avoid aliases, unless you are using the
shell interactively. Aliases save typing which should not be necessary if you
are writing a script.`;
