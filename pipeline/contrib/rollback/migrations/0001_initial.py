# The tables of pipeline.contrib.rollback (names and columns as upstream's app has them).

import pipeline.contrib.fields
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
    ]

    operations = [
        migrations.CreateModel(
            name='RollbackNodeSnapshot',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('root_pipeline_id', models.CharField(db_index=True, max_length=64, verbose_name='root pipeline id')),
                ('node_id', models.CharField(db_index=True, max_length=64, verbose_name='node id')),
                ('code', models.CharField(max_length=64, verbose_name='node code')),
                ('version', models.CharField(max_length=33, verbose_name='version')),
                ('inputs', pipeline.contrib.fields.SerializerField(verbose_name='node inputs')),
                ('outputs', pipeline.contrib.fields.SerializerField(verbose_name='node outputs')),
                ('context_values', pipeline.contrib.fields.SerializerField(help_text="the root pipeline's inputs", verbose_name='pipeline context values')),
                ('rolled_back', models.BooleanField(default=False, verbose_name='whether the node rolls back')),
            ],
            options={
                'verbose_name': 'rollback node snapshot',
                'verbose_name_plural': 'rollback node snapshots',
            },
        ),
        migrations.CreateModel(
            name='RollbackPlan',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('root_pipeline_id', models.CharField(db_index=True, max_length=64, verbose_name='root pipeline id')),
                ('start_node_id', models.CharField(db_index=True, max_length=64, verbose_name='start node id')),
                ('target_node_id', models.CharField(db_index=True, max_length=64, verbose_name='target node id')),
                ('mode', models.CharField(default='TOKEN', max_length=32, verbose_name='rollback mode')),
                ('options', pipeline.contrib.fields.SerializerField(default=dict, verbose_name='rollback options')),
                ('is_expired', models.BooleanField(default=False, verbose_name='is expired')),
            ],
            options={
                'verbose_name': 'rollback plan',
                'verbose_name_plural': 'rollback plans',
            },
        ),
        migrations.CreateModel(
            name='RollbackSnapshot',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('root_pipeline_id', models.CharField(db_index=True, max_length=64, verbose_name='root pipeline id')),
                ('graph', models.TextField(help_text='JSON {"nodes": [...], "flows": [[source, target]]}', verbose_name='rollback graph')),
                ('node_access_record', models.TextField(help_text='JSON {node_id: 1} of nodes done', verbose_name='node access record')),
                ('skip_rollback_nodes', models.TextField(help_text='JSON list of node ids', verbose_name='skip rollback nodes')),
                ('other_nodes', models.TextField(help_text='JSON list of the nodes cleared without rollback', verbose_name='other nodes')),
                ('start_node_id', models.CharField(db_index=True, max_length=64, verbose_name='start node id')),
                ('target_node_id', models.CharField(db_index=True, max_length=64, verbose_name='target node id')),
                ('is_expired', models.BooleanField(db_index=True, default=False, verbose_name='is expired')),
            ],
            options={
                'verbose_name': 'rollback snapshot',
                'verbose_name_plural': 'rollback snapshots',
            },
        ),
        migrations.CreateModel(
            name='RollbackToken',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('root_pipeline_id', models.CharField(db_index=True, max_length=64, verbose_name='root pipeline id')),
                ('token', models.TextField(help_text='JSON object {node_id: token}', verbose_name='token map')),
                ('is_deleted', models.BooleanField(db_index=True, default=False, help_text='is deleted', verbose_name='is deleted')),
            ],
            options={
                'verbose_name': 'rollback token',
                'verbose_name_plural': 'rollback tokens',
            },
        ),
    ]
