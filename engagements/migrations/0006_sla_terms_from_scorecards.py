"""The SLA terms (calendars, policies, versions, targets) move here from scorecards.

State only: the tables keep their names (scorecards_…) and rows; the foreign keys of projects
and requests already point at those tables. scorecards 0004 removes the models from its state.
"""

import accounts.timezones
import django.db.models.deletion
import engagements.models.terms
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('engagements', '0005_audit_append_only'),
        ('scorecards', '0003_history_reason_text'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay as they are, with their data, names and audit triggers.
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='BusinessCalendar',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100)),
                        ('time_zone', models.CharField(max_length=64, validators=[accounts.timezones.validate_time_zone])),
                        ('country', models.CharField(blank=True, help_text='Public holidays of, e.g. DE', max_length=2)),
                        ('subdivision', models.CharField(blank=True, max_length=10)),
                        ('weekly', models.JSONField(default=engagements.models.terms.default_weekly)),
                        ('closed_dates', models.JSONField(blank=True, default=list, help_text='ISO dates')),
                        ('sponsor', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='engagements.sponsor')),
                    ],
                    options={
                        'db_table': 'scorecards_businesscalendar',
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalBusinessCalendar',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('name', models.CharField(max_length=100)),
                        ('time_zone', models.CharField(max_length=64, validators=[accounts.timezones.validate_time_zone])),
                        ('country', models.CharField(blank=True, help_text='Public holidays of, e.g. DE', max_length=2)),
                        ('subdivision', models.CharField(blank=True, max_length=10)),
                        ('weekly', models.JSONField(default=engagements.models.terms.default_weekly)),
                        ('closed_dates', models.JSONField(blank=True, default=list, help_text='ISO dates')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.TextField(null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('sponsor', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='engagements.sponsor')),
                    ],
                    options={
                        'verbose_name': 'historical business calendar',
                        'verbose_name_plural': 'historical business calendars',
                        'db_table': 'scorecards_historicalbusinesscalendar',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalSLAPolicy',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('name', models.CharField(max_length=100)),
                        ('is_default', models.BooleanField(default=False)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.TextField(null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('sponsor', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='engagements.sponsor')),
                    ],
                    options={
                        'verbose_name': 'historical SLA policy',
                        'verbose_name_plural': 'historical SLA policies',
                        'db_table': 'scorecards_historicalslapolicy',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='PolicyVersion',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveIntegerField()),
                        ('effective_from', models.DateTimeField()),
                        ('calendar_kind', models.CharField(choices=[('site', "The CDMO site's calendar"), ('sponsor', 'A sponsor calendar'), ('always', '24/7')], default='site', max_length=8)),
                        ('source', models.CharField(blank=True, help_text='The quality or service agreement it comes from', max_length=200)),
                        ('warning_lead_minutes', models.PositiveIntegerField(blank=True, null=True)),
                        ('escalation_steps', models.JSONField(blank=True, default=list)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('calendar', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='engagements.businesscalendar')),
                        ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('sponsor', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='engagements.sponsor')),
                    ],
                    options={
                        'db_table': 'scorecards_policyversion',
                        'ordering': ['policy', '-effective_from'],
                    },
                ),
                migrations.CreateModel(
                    name='PolicyTarget',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('category', models.CharField(max_length=32)),
                        ('priority', models.CharField(max_length=16)),
                        ('first_response_minutes', models.PositiveIntegerField(blank=True, null=True)),
                        ('next_response_minutes', models.PositiveIntegerField(blank=True, null=True)),
                        ('update_interval_minutes', models.PositiveIntegerField(blank=True, null=True)),
                        ('resolution_minutes', models.PositiveIntegerField(blank=True, null=True)),
                        ('sponsor', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='engagements.sponsor')),
                        ('version', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='targets', to='engagements.policyversion')),
                    ],
                    options={
                        'db_table': 'scorecards_policytarget',
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalPolicyTarget',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('category', models.CharField(max_length=32)),
                        ('priority', models.CharField(max_length=16)),
                        ('first_response_minutes', models.PositiveIntegerField(blank=True, null=True)),
                        ('next_response_minutes', models.PositiveIntegerField(blank=True, null=True)),
                        ('update_interval_minutes', models.PositiveIntegerField(blank=True, null=True)),
                        ('resolution_minutes', models.PositiveIntegerField(blank=True, null=True)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.TextField(null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('sponsor', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='engagements.sponsor')),
                        ('version', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='engagements.policyversion')),
                    ],
                    options={
                        'verbose_name': 'historical policy target',
                        'verbose_name_plural': 'historical policy targets',
                        'db_table': 'scorecards_historicalpolicytarget',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.AlterField(
                    model_name='historicalrequest',
                    name='policy_version',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='engagements.policyversion'),
                ),
                migrations.AlterField(
                    model_name='request',
                    name='policy_version',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='requests', to='engagements.policyversion'),
                ),
                migrations.CreateModel(
                    name='SLAPolicy',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100)),
                        ('is_default', models.BooleanField(default=False)),
                        ('sponsor', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='engagements.sponsor')),
                    ],
                    options={
                        'verbose_name': 'SLA policy',
                        'verbose_name_plural': 'SLA policies',
                        'db_table': 'scorecards_slapolicy',
                    },
                ),
                migrations.AddField(
                    model_name='policyversion',
                    name='policy',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='engagements.slapolicy'),
                ),
                migrations.CreateModel(
                    name='HistoricalPolicyVersion',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('number', models.PositiveIntegerField()),
                        ('effective_from', models.DateTimeField()),
                        ('calendar_kind', models.CharField(choices=[('site', "The CDMO site's calendar"), ('sponsor', 'A sponsor calendar'), ('always', '24/7')], default='site', max_length=8)),
                        ('source', models.CharField(blank=True, help_text='The quality or service agreement it comes from', max_length=200)),
                        ('warning_lead_minutes', models.PositiveIntegerField(blank=True, null=True)),
                        ('escalation_steps', models.JSONField(blank=True, default=list)),
                        ('created_at', models.DateTimeField(blank=True, editable=False)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.TextField(null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('calendar', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='engagements.businesscalendar')),
                        ('created_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('sponsor', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='engagements.sponsor')),
                        ('policy', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='engagements.slapolicy')),
                    ],
                    options={
                        'verbose_name': 'historical policy version',
                        'verbose_name_plural': 'historical policy versions',
                        'db_table': 'scorecards_historicalpolicyversion',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.AlterField(
                    model_name='historicalproject',
                    name='sla_policy',
                    field=models.ForeignKey(blank=True, db_constraint=False, help_text="Blank: the sponsor's default policy.", null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='engagements.slapolicy', verbose_name='SLA policy'),
                ),
                migrations.AlterField(
                    model_name='project',
                    name='sla_policy',
                    field=models.ForeignKey(blank=True, help_text="Blank: the sponsor's default policy.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='projects', to='engagements.slapolicy', verbose_name='SLA policy'),
                ),
                migrations.AddConstraint(
                    model_name='businesscalendar',
                    constraint=models.UniqueConstraint(fields=('sponsor', 'name'), name='calendar_unique_name'),
                ),
                migrations.AddConstraint(
                    model_name='policytarget',
                    constraint=models.UniqueConstraint(fields=('version', 'category', 'priority'), name='policy_target_unique'),
                ),
                migrations.AddConstraint(
                    model_name='policytarget',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('first_response_minutes__isnull', True), ('first_response_minutes__gt', 0), _connector='OR'), models.Q(('next_response_minutes__isnull', True), ('next_response_minutes__gt', 0), _connector='OR'), models.Q(('update_interval_minutes__isnull', True), ('update_interval_minutes__gt', 0), _connector='OR'), models.Q(('resolution_minutes__isnull', True), ('resolution_minutes__gt', 0), _connector='OR')), name='policy_target_positive'),
                ),
                migrations.AddConstraint(
                    model_name='slapolicy',
                    constraint=models.UniqueConstraint(fields=('sponsor', 'name'), name='policy_unique_name'),
                ),
                migrations.AddConstraint(
                    model_name='slapolicy',
                    constraint=models.UniqueConstraint(condition=models.Q(('is_default', True)), fields=('sponsor',), name='policy_one_default'),
                ),
                migrations.AddConstraint(
                    model_name='policyversion',
                    constraint=models.UniqueConstraint(fields=('policy', 'number'), name='policy_version_unique'),
                ),
                migrations.AddConstraint(
                    model_name='policyversion',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('calendar_kind', 'sponsor'), _negated=True), ('calendar__isnull', False), _connector='OR'), name='policy_version_sponsor_calendar_named'),
                ),
            ],
        ),
    ]
